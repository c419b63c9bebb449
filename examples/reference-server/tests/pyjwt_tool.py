"""Keys and JWTs made by an implementation that is not the server's (PyJWT, cryptography).

    python3 pyjwt_tool.py keys DIR
        writes rsa.pem, rsa2.pem (RSA 2048), ec.pem, ec2.pem (P-256), ec384.pem (P-384), each
        private key in PKCS#8 PEM beside its public key NAME.pub.pem (SubjectPublicKeyInfo)
    python3 pyjwt_tool.py sign ALG KEY CLAIMS_JSON
        prints the token: ALG is HS256 (KEY is a file holding the secret), RS256 or ES256 (KEY
        is a private key PEM), or none (KEY is -)
"""

import json
import pathlib
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def write_pair(directory, name, private_key):
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    (directory / f"{name}.pem").write_bytes(private)
    (directory / f"{name}.pub.pem").write_bytes(public)


def keys(directory):
    directory = pathlib.Path(directory)
    for name in ("rsa", "rsa2"):
        write_pair(directory, name, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    for name in ("ec", "ec2"):
        write_pair(directory, name, ec.generate_private_key(ec.SECP256R1()))
    write_pair(directory, "ec384", ec.generate_private_key(ec.SECP384R1()))


def sign(alg, key, claims):
    claims = json.loads(claims)
    if alg == "none":
        return jwt.encode(claims, None, algorithm="none")
    secret = pathlib.Path(key).read_bytes()
    return jwt.encode(claims, secret, algorithm=alg)


def main(argv):
    if argv[:1] == ["keys"] and len(argv) == 2:
        keys(argv[1])
    elif argv[:1] == ["sign"] and len(argv) == 4:
        print(sign(argv[1], argv[2], argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
