"""What card logins are checked against, from the settings (the composition root calls `load_card_trust`).

- Production: the CA certificates in `POINTSBOT_CARD_CA_FILES` (J-LIS publishes every current user-authentication
  CA and link certificate; fetching them is a deployment step), CRLs in `POINTSBOT_CARD_CRL_FILES`. Without
  revocation data every login is refused as `revocation_unknown` (fail closed); `POINTSBOT_CARD_OCSP_URL` asks an
  OCSP responder instead (or a platform operator's stand-in for J-LIS's).
- Sandbox: an emulated CA made once under `var/card-ca/` (key 0600), with its own empty CRL, which
  `pointsbot sandbox card` issues emulated cards from.
The MyKey ID salt is a secret file (`var/mykey-salt`, 0600).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ledger.common.card_login import CardTrust, CrlChecker, OcspChecker
from ledger.config import Settings, private_dir, secret_file, write_private


class NoRevocationData:
    """No revocation source configured: every certificate's state is unknown, so logins are refused."""

    def status(self, cert, issuer) -> str:
        return "unknown"


def _read_crl(data: bytes) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----") else x509.load_der_x509_crl(data)


def sandbox_ca(var_dir: Path):
    """The sandbox's emulated CA (made once; the key stays 0600 in var/card-ca)."""
    from cardbridge.emulator import EmulatedCa

    folder = private_dir(var_dir / "card-ca")
    key_file, cert_file = folder / "ca-key.pem", folder / "ca.pem"
    if not key_file.exists() or not cert_file.exists():
        ca = EmulatedCa.create(name="JPKI for user authentication (sandbox)")
        write_private(key_file, ca.ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode())
        write_private(cert_file, ca.ca_pem().decode())
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    return EmulatedCa(ca_key=key, ca_cert=x509.load_pem_x509_certificate(cert_file.read_bytes()))


def empty_crl(ca, now: dt.datetime) -> x509.CertificateRevocationList:
    return (x509.CertificateRevocationListBuilder().issuer_name(ca.ca_cert.subject).last_update(now)
            .next_update(now + dt.timedelta(days=3650)).sign(ca.ca_key, hashes.SHA256()))


def load_card_trust(settings: Settings, sandbox: bool) -> CardTrust:
    salt = secret_file(settings.var_dir / "mykey-salt").encode()
    cas = [x509.load_pem_x509_certificates(Path(p).read_bytes()) for p in settings.card_ca_files]
    crls = [_read_crl(Path(p).read_bytes()) for p in settings.card_crl_files]
    flat = [c for group in cas for c in group]
    if sandbox:
        ca = sandbox_ca(settings.var_dir)
        flat.append(ca.ca_cert)
        crls.append(empty_crl(ca, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)))
    if settings.card_ocsp_url:
        revocation = OcspChecker(settings.card_ocsp_url)
    else:
        revocation = CrlChecker(crls) if crls else NoRevocationData()
    return CardTrust(cas=tuple(flat), revocation=revocation, origin=settings.origin, salt=salt,
                     session_hours=settings.session_hours)
