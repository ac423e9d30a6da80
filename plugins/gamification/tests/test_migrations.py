from kpay.testing import assert_migrations_match_models


def test_the_migrations_make_the_models_tables():
    assert_migrations_match_models("gamification")
