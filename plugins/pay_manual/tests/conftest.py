"""An app offering the manual provider with a QR code (the other fixtures are kpay.testing's)."""

import pytest

INSTRUCTIONS = "Transfer the amount to our **bank account** and write your e-mail in the note."
ACCOUNT = ["Bank: China Merchants Bank", "Account name: KPay Community Ltd", "Account number: 6214 8888 0000 1234"]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def manual_settings(**values) -> dict:
    return {"plugins": {"enabled": ["pay_manual"], "pay_manual": {
        "instructions": INSTRUCTIONS, "account_details": ACCOUNT, "qr_image": "wechat-pay.png", **values,
    }}}


@pytest.fixture
def app(make_app, tmp_path):
    (tmp_path / "instance").mkdir(exist_ok=True)
    (tmp_path / "instance" / "wechat-pay.png").write_bytes(PNG)
    return make_app(manual_settings())
