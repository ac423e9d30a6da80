"""S32: oversized bodies and forms with too many parts are refused with 413."""

import pytest

TWENTY_MB = b"x" * (20 * 1024 * 1024)


def many_parts_body(count: int) -> tuple[bytes, str]:
    """A multipart/form-data body with ``count`` small fields, and its content type."""
    boundary = "kpayboundary"
    part = '--{b}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n'
    parts = [part.format(b=boundary, i=i) for i in range(count)]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("path", ["/login", "/language", "/logout"])
def test_twenty_megabyte_post_is_refused_with_page_in_layout(client, path):
    response = client.post(path, data=TWENTY_MB, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "<html" in body and "larger than this site accepts" in body


def test_twenty_megabyte_htmx_post_gets_a_banner(client):
    response = client.post(
        "/language", data=TWENTY_MB, content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#kpay-alerts"
    assert "<html" not in response.get_data(as_text=True)


def test_form_with_five_thousand_parts_is_refused(client):
    body, content_type = many_parts_body(5000)
    response = client.post("/login", data=body, content_type=content_type)
    assert response.status_code == 413


def test_form_with_a_few_parts_is_read(client):
    body, content_type = many_parts_body(5)
    assert client.post("/login", data=body, content_type=content_type).status_code == 400  # no CSRF token
