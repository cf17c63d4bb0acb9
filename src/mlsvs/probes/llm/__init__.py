"""Runtime probes of an OpenAI-compatible chat endpoint (MLSVS M11): injection on every
untrusted channel, system-prompt extraction, jailbreak suite, limits and regurgitation.

Judging is canary-based: each probe asks for a token built from two random parts, so the
joined token appears in an answer only when the model followed the probe's instruction.
"""
