"""A local certificate authority for NATS over TLS: `tenantctl dev --nats-tls` and the
tests make one; on Kubernetes the certificates come from the cluster's issuer."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = datetime.timedelta(days=365)


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA, the server's certificate and key, one client certificate."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client-key.pem"

    def exists(self) -> bool:
        return all(p.exists() for p in (self.ca_file, self.server_cert, self.server_key,
                                        self.client_cert, self.client_key))

    def server_block(self, verify_clients: bool = False) -> str:
        """nats-server's `tls` block: every client connection must then use TLS;
        with `verify_clients`, it must also present a certificate of this CA."""
        lines = [
            "tls {",
            f'  cert_file: "{self.server_cert}"',
            f'  key_file: "{self.server_key}"',
            f'  ca_file: "{self.ca_file}"',
        ]
        if verify_clients:
            lines.append("  verify: true")
        return "\n".join([*lines, "}"]) + "\n"

    def client_env(self, with_certificate: bool = False) -> dict[str, str]:
        env = {"NATS_TLS_CA": str(self.ca_file)}
        if with_certificate:
            env |= {"NATS_TLS_CERT": str(self.client_cert), "NATS_TLS_KEY": str(self.client_key)}
        return env


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _builder(subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
             ) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR))


def make_local_ca(directory: Path) -> TlsFiles:
    """A CA and, signed by it, a server certificate for localhost / 127.0.0.1 and a
    client certificate. Kept when already there (a restart keeps trusting them)."""
    files = TlsFiles(directory)
    if files.exists():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenant-platform local CA")])
    ca = (_builder("tenant-platform local CA", ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(name: str, usage: x509.ObjectIdentifier, cert: Path, key_path: Path) -> None:
        key = _key()
        builder = (_builder(name, ca.subject, key.public_key())
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                  critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]), critical=False)
        _write_key(key, key_path)
        cert.write_bytes(builder.sign(ca_key, hashes.SHA256())
                         .public_bytes(serialization.Encoding.PEM))

    leaf("localhost", ExtendedKeyUsageOID.SERVER_AUTH, files.server_cert, files.server_key)
    leaf("tenant-platform client", ExtendedKeyUsageOID.CLIENT_AUTH, files.client_cert,
         files.client_key)
    return files
