"""Writes `provider-schema-2.38.0.json`: the blocks and attributes (with their storage
types) of the hashicorp/kubernetes provider's resources that the terraform target uses,
read from the bindings CDK for Terraform generated from the provider's own schema
(npm `@cdktf/provider-kubernetes@12.1.1`, which is provider 2.38.0). tests/deploy/
test_terraform.py checks every emitted resource against it. To make it again:

    npm pack @cdktf/provider-kubernetes@12.1.1 && tar xzf cdktf-provider-kubernetes-12.1.1.tgz
    python extract_provider_schema.py package/lib deployment-v1 service-v1 config-map-v1 \
        service-account-v1 namespace-v1 horizontal-pod-autoscaler-v2 \
        pod-disruption-budget-v1 network-policy-v1 manifest > provider-schema-2.38.0.json

(Terraform itself would need the provider binary from its registry: `terraform
providers schema -json` after `terraform init`, which the tests never run.)"""

import json
import re
import sys
from pathlib import Path

ENTRY = re.compile(r'(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",\s*\}', re.S)
FUNC = re.compile(r'function (\w+)ToHclTerraform\(struct\) \{(.*?)\n\}', re.S)
SYNTH = re.compile(r'synthesizeHclAttributes\(\) \{(.*?)\n    \}', re.S)
BUILTIN = {"string", "number", "boolean", "cdktf.string", "cdktf.number", "cdktf.boolean"}

def entries(body):
    out = {}
    for name, value, is_block, typ, storage in ENTRY.findall(body):
        child = [c for c in re.findall(r'(\w+)ToHclTerraform', value) if c not in ("string", "number", "boolean")]
        out[name] = (is_block == "true", storage, child[0] if child else None)
    return out

def tree(funcs, entries_, seen=()):
    node = {"attributes": {}, "blocks": {}}
    for name, (is_block, storage, child) in sorted(entries_.items()):
        if is_block:
            node["blocks"][name] = tree(funcs, funcs.get(child, {}), seen + (child,)) if child not in seen else {"recursive": child}
        else:
            node["attributes"][name] = storage
    return node

def resource(folder):
    funcs = {}
    for js in folder.rglob("*.js"):
        text = js.read_text()
        for name, body in FUNC.findall(text):
            funcs[name] = entries(body)
    top = SYNTH.search((folder / "index.js").read_text()).group(1)
    return tree(funcs, entries(top))

lib = Path(sys.argv[1])
names = sys.argv[2:]
print(json.dumps({f"kubernetes_{n.replace('-', '_')}": resource(lib / n) for n in names}, indent=1, sort_keys=True))
