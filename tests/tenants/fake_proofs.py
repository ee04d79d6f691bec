"""A proof source for tests: DNS TXT records and well-known files as the test publishes them.

Strict like the network source: a name with no record, or a URL with no file, is ProofUnavailable,
never an empty answer that happens to pass.
"""

from __future__ import annotations

from typing import ClassVar

from cancellations.hosts.checks import ProofUnavailable

SOURCE = "tests.tenants.fake_proofs.FakeProofSource"


class FakeProofSource:
    txt: ClassVar[dict[str, list[str]]] = {}
    files: ClassVar[dict[str, str]] = {}
    looked_up: ClassVar[list[str]] = []

    @classmethod
    def reset(cls) -> None:
        cls.txt, cls.files, cls.looked_up = {}, {}, []

    def txt_records(self, name: str) -> list[str]:
        self.looked_up.append(name)
        if name not in self.txt:
            raise ProofUnavailable(f"There is no TXT record at {name}.")
        return list(self.txt[name])

    def well_known_file(self, url: str) -> str:
        self.looked_up.append(url)
        if url not in self.files:
            raise ProofUnavailable(f"{url} answered 404.")
        return self.files[url]
