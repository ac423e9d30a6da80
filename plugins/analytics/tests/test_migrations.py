from kpay.testing import assert_migrations_match_models


def test_migrations_match_the_models():
    assert_migrations_match_models("analytics")
