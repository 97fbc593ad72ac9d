#!/usr/bin/env python3
"""Writes a tiny llama-architecture GGUF model for the tests that run a real inference server.

Two layers, 64 wide, random F32 weights from a fixed seed (the same bytes on every run), and a
SentencePiece vocabulary of control tokens, all 256 byte tokens, single characters and a few
words, some of them multi-byte UTF-8. Its text is nonsense; llama.cpp's server speaks the real
protocol with it: role chunk, byte tokens that do not complete a character (empty content),
usage, `[DONE]`. About 0.5 MB.

usage: tiny_model.py OUT.gguf
"""
import sys

import gguf
import numpy as np

WIDTH, LAYERS, HEADS, FFN, CONTEXT = 64, 2, 4, 128, 512
WORDS = ["the", "market", "provider", "token", "stake", "router", "epoch", "claim", "user",
         "answer", "block", "price", "café", "naïve", "über", "€", "日本", "語", "🦬", "—"]
CHARS = list("abcdefghijklmnopqrstuvwxyz.,!?'")
# Not the default llama-2 template: a plain one, so the server applies the model's own.
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def vocabulary():
    """Tokens, scores and types in SentencePiece's order: control, bytes, pieces."""
    tokens = [("<unk>", 0.0, gguf.TokenType.UNKNOWN), ("<s>", 0.0, gguf.TokenType.CONTROL),
              ("</s>", 0.0, gguf.TokenType.CONTROL)]
    tokens += [(f"<0x{b:02X}>", 0.0, gguf.TokenType.BYTE) for b in range(256)]
    pieces = ["\u2581"] + ["\u2581" + w for w in WORDS] + CHARS + ["\u2581" + c for c in CHARS]
    tokens += [(p, -float(i), gguf.TokenType.NORMAL) for i, p in enumerate(pieces)]
    return tokens


def main(out):
    rng = np.random.default_rng(20261206)
    tokens = vocabulary()
    vocab = len(tokens)
    w = gguf.GGUFWriter(out, "llama")
    w.add_name("yellowstone-tiny")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(WIDTH)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_rope_dimension_count(WIDTH // HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list([t for t, _, _ in tokens])
    w.add_token_scores([s for _, s, _ in tokens])
    w.add_token_types([int(k) for _, _, k in tokens])
    w.add_unk_token_id(0)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(TEMPLATE)

    def tensor(name, *shape, scale=0.5):
        w.add_tensor(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    def ones(name, n):
        w.add_tensor(name, np.ones(n, dtype=np.float32))

    tensor("token_embd.weight", vocab, WIDTH)
    for i in range(LAYERS):
        ones(f"blk.{i}.attn_norm.weight", WIDTH)
        for part in ("q", "k", "v", "output"):
            tensor(f"blk.{i}.attn_{part}.weight", WIDTH, WIDTH, scale=0.1)
        ones(f"blk.{i}.ffn_norm.weight", WIDTH)
        tensor(f"blk.{i}.ffn_gate.weight", FFN, WIDTH, scale=0.1)
        tensor(f"blk.{i}.ffn_up.weight", FFN, WIDTH, scale=0.1)
        tensor(f"blk.{i}.ffn_down.weight", WIDTH, FFN, scale=0.1)
    ones("output_norm.weight", WIDTH)
    output = rng.standard_normal((vocab, WIDTH)).astype(np.float32)
    output[2] = 0.0  # end of text scores 0 against ~330 random rows: answers run to max_tokens
    w.add_tensor("output.weight", output)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
