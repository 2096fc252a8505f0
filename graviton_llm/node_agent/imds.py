"""Instance metadata over IMDSv2 (the launch template requires tokens): a session token, then
GETs with it. GRAVITON_LLM_IMDS_URL points the tests at a fake on 127.0.0.1."""

from __future__ import annotations

import os
import re
import time
import urllib.request

TOKEN_TTL_SECONDS = 300
GROUP_TAG = "tags/instance/aws:autoscaling:groupName"
# Both reach AWS CLI calls and the CloudWatch agent's config: only names these can have.
# (A group is named from the cluster's name, which its args hold to these characters.)
INSTANCE_ID = re.compile(r"i-[0-9a-f]{8,17}")
GROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,255}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


class Imds:
    def __init__(self, attempts: int = 5) -> None:
        self.url = os.environ.get("GRAVITON_LLM_IMDS_URL", "http://169.254.169.254")
        self.attempts = attempts
        self.token = self._call("PUT", "/latest/api/token")

    def get(self, path: str) -> str:
        """meta-data/<path>; OSError when it cannot be read."""
        return self._call("GET", f"/latest/meta-data/{path}")

    def _call(self, method: str, path: str) -> str:
        headers = (
            {"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_SECONDS)}
            if method == "PUT"
            else {"X-aws-ec2-metadata-token": self.token}
        )
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(self.url + path, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    text: str = answer.read(4096).decode()
                    return text
            except OSError as error:
                code = getattr(error, "code", None)
                if attempt == self.attempts or code in (401, 403, 404):
                    raise
                time.sleep(1)
        raise OSError(f"{method} {path}: no answer")  # not reached: the loop raises
