#!/usr/bin/env python3
"""The official `openai` client against a real inference server, straight and through the market.

Asks the backend itself (llama.cpp's server) for a whole answer, then `yellowstone user proxy`
for the same request (same seed, so the same tokens) whole and streamed, and prints one JSON
object for the test to check: the backend's own token count against what the market delivered.

    python scripts/llama/openai_llama.py --backend http://127.0.0.1:8691/v1 \
        --proxy http://127.0.0.1:8680/v1 --model yellowstone-tiny --max-tokens 16 --seed 7
"""

import argparse
import json

import openai


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", required=True)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt", default="hello")
    parser.add_argument("--max-tokens", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    args = parser.parse_args()
    request = dict(
        model=args.model,
        messages=[{"role": "user", "content": args.prompt}],
        max_tokens=args.max_tokens,
        seed=args.seed,
    )

    def contents(client):
        # A chunk carrying content is one token, even when its text is empty (a byte token
        # that completes no character).
        return [chunk.choices[0].delta.content
                for chunk in client.chat.completions.create(**request, stream=True)
                if chunk.choices and chunk.choices[0].delta.content is not None]

    backend = openai.OpenAI(base_url=args.backend, api_key="unused", max_retries=0)
    direct = backend.chat.completions.create(**request)
    # The proxy needs no OpenAI key: the user's MOR key signs for it.
    market = openai.OpenAI(base_url=args.proxy, api_key="unused", max_retries=0)
    whole = market.chat.completions.create(**request)

    print(json.dumps({
        "direct_tokens": direct.usage.completion_tokens,
        "direct_chunks": contents(backend),
        "whole": whole.choices[0].message.content,
        "whole_tokens": whole.usage.completion_tokens if whole.usage else None,
        "whole_finish": whole.choices[0].finish_reason,
        "streamed_chunks": contents(market),
    }))


if __name__ == "__main__":
    main()
