//! The JSON-RPC envelope over plain HTTP: batches, notifications, the standard error codes, and
//! the exact serialisation of a few answers.

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::{Arc, Mutex},
};

use serde_json::{json, Value};
use yellowstone_devnet::{
    chain::Chain,
    rpc::{handle_body, serve, RpcHandle},
};

fn start() -> RpcHandle {
    serve(
        Arc::new(Mutex::new(Chain::new())),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap()
}

/// POSTs `body` and returns the HTTP status and the response body.
fn post(handle: &RpcHandle, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(handle.addr()).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        handle.addr(),
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

fn rpc(handle: &RpcHandle, body: Value) -> Value {
    let (status, body) = post(handle, &body.to_string());
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

#[test]
fn single_request_echoes_id() {
    let handle = start();
    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": "abc", "method": "eth_chainId", "params": []}),
    );
    assert_eq!(
        answer,
        json!({"jsonrpc": "2.0", "id": "abc", "result": "0x64aba"})
    );
    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 7, "method": "eth_blockNumber"}),
    );
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": 7, "result": "0x0"}));
}

#[test]
fn batches_and_notifications() {
    let handle = start();
    let answer = rpc(
        &handle,
        json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
            {"jsonrpc": "2.0", "method": "evm_mine"},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"},
            {"jsonrpc": "2.0", "id": 3, "method": "no_suchMethod"},
            5,
        ]),
    );
    let answers = answer.as_array().unwrap();
    assert_eq!(answers.len(), 4, "{answer}");
    assert_eq!(answers[0]["result"], "0x64aba");
    // The notification ran (a block was mined) but was not answered.
    assert_eq!(
        answers[1],
        json!({"jsonrpc": "2.0", "id": 2, "result": "0x1"})
    );
    assert_eq!(answers[2]["id"], 3);
    assert_eq!(answers[2]["error"]["code"], -32601);
    assert_eq!(answers[3]["id"], Value::Null);
    assert_eq!(answers[3]["error"]["code"], -32600);

    // Only notifications: an empty body.
    let (status, body) = post(&handle, r#"{"jsonrpc":"2.0","method":"evm_mine"}"#);
    assert_eq!((status, body.as_str()), (200, ""));
    // An empty batch is an invalid request.
    assert_eq!(rpc(&handle, json!([]))["error"]["code"], -32600);
}

#[test]
fn standard_errors() {
    let handle = start();
    let (status, body) = post(&handle, r#"{"jsonrpc": "2.0", "id": 1, "method": "#);
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["code"], -32700);
    assert_eq!(answer["id"], Value::Null);

    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_foo"}),
    );
    assert_eq!(answer["error"]["code"], -32601);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("eth_foo"));

    let answer = rpc(&handle, json!({"id": 1, "method": "eth_chainId"}));
    assert_eq!(answer["error"]["code"], -32600);
    assert_eq!(answer["id"], 1);

    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": []}),
    );
    assert_eq!(answer["error"]["code"], -32602);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("address"));
    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["0x12", "latest"]}),
    );
    assert_eq!(answer["error"]["code"], -32602);

    // A chain refusal is a server error with the chain's message.
    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x1234"]}),
    );
    assert_eq!(answer["error"]["code"], -32000);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("invalid raw transaction"));
    let answer = rpc(
        &handle,
        json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
               "params": ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x10"]}),
    );
    assert_eq!(answer["error"]["code"], -32000);
    assert_eq!(answer["error"]["message"], "unknown block: 16");

    // A GET is not JSON-RPC.
    let mut stream = TcpStream::connect(handle.addr()).unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");

    // A CORS preflight is answered, so a browser page can use the node.
    let mut stream = TcpStream::connect(handle.addr()).unwrap();
    write!(
        stream,
        "OPTIONS / HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:3000\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");
    assert!(response
        .to_ascii_lowercase()
        .contains("access-control-allow-origin: *"));
}

#[test]
fn serialisation() {
    let chain = Arc::new(Mutex::new(Chain::new()));
    let call = |method: &str, params: Value| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        handle_body(&chain, body.to_string().as_bytes()).unwrap()["result"].clone()
    };
    let dev = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
    assert_eq!(
        call("eth_getBalance", json!([dev, "latest"])),
        "0x21e19e0c9bab2400000"
    );
    assert_eq!(
        call("eth_getTransactionCount", json!([dev, "pending"])),
        "0x0"
    );
    assert_eq!(call("eth_getCode", json!([dev, "earliest"])), "0x");
    assert_eq!(
        call(
            "eth_getStorageAt",
            json!([dev, "0x0", {"blockNumber": "0x0"}])
        ),
        "0x0000000000000000000000000000000000000000000000000000000000000000"
    );
    assert_eq!(call("eth_gasPrice", json!([])), "0x5f5e100");
    assert_eq!(call("eth_maxPriorityFeePerGas", json!([])), "0x0");
    assert_eq!(call("evm_snapshot", json!([])), "0x0");
    let block = call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(block["number"], "0x0");
    assert_eq!(block["baseFeePerGas"], "0x5f5e100");
    assert_eq!(block["transactions"], json!([]));
    assert!(block["hash"].as_str().unwrap().len() == 66);
    assert!(block["logsBloom"].as_str().unwrap().starts_with("0x"));
    assert_eq!(
        call("eth_getBlockByNumber", json!(["0x9", false])),
        Value::Null
    );
    assert_eq!(
        call(
            "eth_getTransactionByHash",
            json!(["0x0000000000000000000000000000000000000000000000000000000000000001"])
        ),
        Value::Null
    );
    // EIP-1898 block objects, by hash too; an unknown hash is an error.
    let genesis = call("eth_getBlockByNumber", json!(["0x0", false]))["hash"].clone();
    assert_eq!(
        call("eth_getBalance", json!([dev, {"blockHash": genesis}])),
        "0x21e19e0c9bab2400000"
    );
    assert_eq!(
        call("eth_getBlockByHash", json!([genesis, true]))["number"],
        "0x0"
    );
    assert_eq!(
        call("eth_getLogs", json!([{"blockHash": genesis}])),
        json!([])
    );
    let unknown = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance",
        "params": [dev, {"blockHash": format!("0x{}", "11".repeat(32))}]});
    let answer = handle_body(&chain, unknown.to_string().as_bytes()).unwrap();
    assert_eq!(answer["error"]["code"], -32000);
    // Malformed state overrides are refused by name (rpc_overrides.rs has the rest).
    let overrides = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_call",
        "params": [{"to": dev}, "latest", {dev: {"balanse": "0x1"}}]});
    let answer = handle_body(&chain, overrides.to_string().as_bytes()).unwrap();
    assert_eq!(answer["error"]["code"], -32602);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("state overrides"));
    // Calling an account without code returns empty data; a create without code returns it.
    assert_eq!(call("eth_call", json!([{"to": dev}, "latest"])), "0x");
    assert_eq!(
        call(
            "eth_estimateGas",
            json!([{"from": dev, "to": dev, "value": "0x1"}])
        ),
        "0x5208"
    );
}
