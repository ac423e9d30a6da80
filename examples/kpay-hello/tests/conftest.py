"""The KPay checkout's fixtures (make_app, client, auth, make_user ...), for these tests."""

from tests.conftest import *  # noqa: F403
