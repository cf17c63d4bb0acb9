"""Built-in checks: ML platform and infrastructure read statically (MLC800-MLC859).

Terraform/OpenTofu, CloudFormation, Kubernetes manifests, compose files and Dockerfiles are
parsed with maintained parsers (python-hcl2, PyYAML, dockerfile-parse); what cannot be parsed or
evaluated (a broken file, an unrendered Helm template, a module from outside the project) is a
named gap, never a pass. Storage: public access (MLC800), encryption at rest (MLC801), managed
keys (MLC802), access logging (MLC803); workloads: credentials (MLC810), rotation (MLC811),
read-only model store (MLC812), egress and segmentation (MLC813-MLC815); environments
(MLC820); admission of signed images (MLC825); progressive rollout (MLC826); audit trail
(MLC830); platform component versions (MLC835).
"""
