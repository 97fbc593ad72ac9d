//! The minimal blocking HTTP/1.1 keep-alive client the load is sent with.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    time::Duration,
};

use anyhow::{ensure, Context, Result};

/// Sends one request on `conn`, connecting first if there is none.
pub(super) fn send(
    target: &Target,
    conn: &mut Option<Conn>,
    request: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    if conn.is_none() {
        *conn = Some(Conn::open(target)?);
    }
    match conn.as_mut() {
        Some(c) => c.exchange(request),
        None => Err(std::io::Error::other("no connection")),
    }
}

/// Where the router listens, and how requests to it are framed.
pub(super) struct Target {
    addr: SocketAddr,
    host: String,
}

impl Target {
    pub(super) fn parse(url: &str) -> Result<Target> {
        let host = url
            .strip_prefix("http://")
            .with_context(|| format!("{url} is not an http:// URL"))?
            .trim_end_matches('/')
            .to_string();
        ensure!(!host.contains('/'), "{url} has a path; give the base URL");
        let addr = host
            .to_socket_addrs()
            .with_context(|| format!("resolving {host}"))?
            .next()
            .with_context(|| format!("{host} resolves to nothing"))?;
        Ok(Target { addr, host })
    }

    pub(super) fn get(&self, path: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).into_bytes()
    }

    pub(super) fn post(&self, path: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    }
}

/// A kept-alive HTTP/1.1 connection.
pub(super) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub(super) fn open(target: &Target) -> std::io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&target.addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4_096),
        })
    }

    /// Writes `request` and reads one answer: its status and body.
    pub(super) fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(request)?;
        self.buf.clear();
        let mut chunk = [0u8; 4_096];
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| std::io::Error::other("a non-UTF-8 answer head"))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))?;
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .ok_or_else(|| std::io::Error::other("an answer without Content-Length"))?;
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, self.buf[head_end..head_end + length].to_vec()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
