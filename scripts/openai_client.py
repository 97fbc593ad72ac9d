#!/usr/bin/env python3
"""An application written for OpenAI, unchanged, pointed at `yellowstone user proxy`.

Uses the official `openai` package (from PyPI) for one whole and one streamed chat completion
and prints what arrived as one JSON object: the test of the proxy checks it and then that the
router credited both answers.

    python scripts/openai_client.py --base-url http://127.0.0.1:8680/v1 --model textgen-words
"""

import argparse
import json

import openai


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()

    # The proxy needs no OpenAI key: the user's MOR key signs for it.
    client = openai.OpenAI(base_url=args.base_url, api_key="unused", max_retries=0)
    models = [m.id for m in client.models.list().data]

    whole = client.chat.completions.create(
        model=args.model,
        messages=[{"role": "user", "content": "hello from the openai package"}],
        max_tokens=args.max_tokens,
    )
    streamed = []
    for chunk in client.chat.completions.create(
        model=args.model,
        messages=[{"role": "user", "content": "hello from the openai package"}],
        max_tokens=args.max_tokens,
        stream=True,
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            streamed.append(chunk.choices[0].delta.content)

    print(
        json.dumps(
            {
                "models": models,
                "whole": whole.choices[0].message.content,
                "whole_tokens": whole.usage.completion_tokens if whole.usage else None,
                "streamed": "".join(streamed),
                "streamed_chunks": len(streamed),
            }
        )
    )


if __name__ == "__main__":
    main()
