"""Model adapters for runtime testing: one small protocol over sklearn, torch, ONNX Runtime,
plain callables and HTTP JSON endpoints.

Import the submodules inside functions: ``spec`` and ``errors`` are stdlib-only, the others
import their framework at module level.
"""
