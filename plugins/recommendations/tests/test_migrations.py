from kpay.testing import assert_migrations_match_models


def test_migrations_build_the_recommendations_tables_and_remove_them():
    assert_migrations_match_models("recommendations")
