"""schemathesis hooks of the contract test: only what the OpenAPI document cannot say,
because it is about the running stack rather than the API (which device exists, what a
real CSR is). Every rule of the API itself is in the document.

Generated device names almost never name a device of the test user, so the
device-control routes would only ever answer 404. Half of the cases whose
generated name is valid are sent to the simulated device instead
(CONTRACT_DEVICE_NAME), so those routes are exercised end to end. Only valid
names are replaced, so a case meant to be rejected stays invalid. DELETE and
the registry routes keep their generated names: the device must stay registered.
"""

import os
import re

import schemathesis
from hypothesis import strategies as st

DEVICE = os.environ["CONTRACT_DEVICE_NAME"]
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _device_control(ctx) -> bool:
    operation = ctx.operation
    # Not the renewal: it would retire the simulated device's certificate and cut it off.
    return (
        operation is not None
        and operation.path.startswith("/devices/{name}/")
        and operation.path != "/devices/{name}/certificate"
    )


@schemathesis.hook
def flatmap_path_parameters(ctx, parameters):
    if not _device_control(ctx) or not isinstance(parameters, dict):
        return st.just(parameters)
    name = parameters.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return st.just(parameters)
    return st.sampled_from([parameters, {**parameters, "name": DEVICE}])


CSR = os.environ["CONTRACT_CSR"]
CSR_MAX_LENGTH = 16384  # RegisterDeviceRequestDto.csr, RenewCertificateRequestDto.csr


def _real_csr(case):
    """A schema-valid `csr` is sent as a real one: what a PEM holds is more than a JSON
    schema can say, and a made-up string is rightly refused (400 INVALID_CSR). Only
    valid strings are replaced, so a case meant to be rejected stays invalid. Done
    just before the call, so it holds in every phase."""
    operation = case.operation
    renewal = "/devices/{name}/certificate"
    if operation.method.upper() != "POST" or operation.path not in ("/devices", renewal) or not isinstance(case.body, dict):
        return
    csr = case.body.get("csr")
    if isinstance(csr, str) and len(csr) <= CSR_MAX_LENGTH:
        case.body = {**case.body, "csr": CSR}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """Done just before each call, so it holds in every phase."""
    _real_csr(case)
