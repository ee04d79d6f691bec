"""Looking for a store's proof that it owns a host: a DNS TXT record, or a file at a well-known URL.

The lookups sit behind `ProofSource`, so tests answer for DNS and HTTPS without a network
(`STORE_DOMAIN_PROOF_SOURCE` names the class). The network source asks DNS through dnspython and
fetches the file over HTTPS only, from public addresses only (the same checked, pinned connection
as outgoing webhooks), with a short timeout, a small size limit and no redirects followed.
"""

from __future__ import annotations

from typing import Protocol

import dns.exception
import dns.resolver
import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from cancellations.notifications import egress
from tenants.domains import CheckOutcome
from tenants.hosts import proof_for

FILE_MAX_BYTES = 1024


class ProofUnavailable(Exception):
    """The lookup answered nothing usable; the message says why, in words for the store's owner."""


class ProofSource(Protocol):
    def txt_records(self, name: str) -> list[str]:
        """Every TXT value at `name`; ProofUnavailable when there are none or DNS fails."""
        ...

    def well_known_file(self, url: str) -> str:
        """The body of the file at `url`; ProofUnavailable when it cannot be fetched."""
        ...


class NetworkProofSource:
    def __init__(
        self,
        *,
        resolve: egress.Resolver = egress.system_resolver,
        transport: httpx.BaseTransport | None = None,
        dns_resolver: dns.resolver.Resolver | None = None,
    ) -> None:
        self.resolve = resolve
        self.transport = transport
        self.dns_resolver = dns_resolver
        self.timeout = float(settings.STORE_DOMAIN_CHECK_TIMEOUT_SECONDS)

    def txt_records(self, name: str) -> list[str]:
        resolver = self.dns_resolver or dns.resolver.Resolver()
        resolver.lifetime = self.timeout
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            raise ProofUnavailable(f"There is no TXT record at {name}.") from None
        except dns.exception.Timeout:
            raise ProofUnavailable(f"The DNS lookup of {name} timed out.") from None
        except dns.exception.DNSException:
            raise ProofUnavailable(f"The DNS lookup of {name} failed.") from None
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

    def well_known_file(self, url: str) -> str:
        try:
            status, body = egress.get(
                url,
                timeout=self.timeout,
                max_bytes=FILE_MAX_BYTES,
                allow_private=False,
                resolve=self.resolve,
                transport=self.transport,
            )
        except egress.AddressRefused:
            raise ProofUnavailable(f"{url} is not on a public address.") from None
        except egress.ResponseTooLarge:
            raise ProofUnavailable(f"{url} is longer than {FILE_MAX_BYTES} bytes.") from None
        except httpx.HTTPError:
            raise ProofUnavailable(f"{url} could not be fetched over HTTPS.") from None
        if 300 <= status < 400:
            raise ProofUnavailable(f"{url} answered with a redirect; serve the file at that address.")
        if status != 200:
            raise ProofUnavailable(f"{url} answered {status}.")
        return body.decode("utf-8", "replace")


def proof_source() -> ProofSource:
    source: ProofSource = import_string(settings.STORE_DOMAIN_PROOF_SOURCE)()
    return source


def find_proof(*, host: str, token: str, source: ProofSource) -> CheckOutcome:
    """Look for the TXT record, then the file; either one holding the token is the proof."""
    proof = proof_for(host=host, token=token)
    reasons = []
    try:
        values = [value.strip() for value in source.txt_records(proof.txt_name)]
    except ProofUnavailable as error:
        reasons.append(str(error))
    else:
        if proof.txt_value in values:
            return CheckOutcome(found=True, method="dns")
        reasons.append(f"The TXT record at {proof.txt_name} does not hold this domain's value.")
    try:
        lines = [line.strip() for line in source.well_known_file(proof.file_url).splitlines()]
    except ProofUnavailable as error:
        reasons.append(str(error))
    else:
        if proof.file_content in lines or proof.txt_value in lines:
            return CheckOutcome(found=True, method="file")
        reasons.append(f"{proof.file_url} does not hold this domain's token.")
    return CheckOutcome(found=False, error=" ".join(reasons)[:200])
