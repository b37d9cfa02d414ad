"""Verifies a service account's JWT assertion with google-auth against the account's public key (PEM file); prints
its claims as JSON, or the reason it was refused and exits 1."""
import json
import sys

from google.auth import jwt

assertion, public_key_file = sys.argv[1], sys.argv[2]
with open(public_key_file) as handle:
    public_key = handle.read()
try:
    claims = jwt.decode(assertion, certs=public_key, verify=True)
except Exception as error:  # noqa: BLE001 - any refusal is the answer
    print(error)
    sys.exit(1)
print(json.dumps(claims))
