"""The same use-case tests as tests/unit/application, on PostgreSQL (see conftest)."""

from tests.unit.application.test_account_features import *  # noqa: F403
from tests.unit.application.test_activate_trial import *  # noqa: F403
from tests.unit.application.test_catalog import *  # noqa: F403
from tests.unit.application.test_confirm_payment import *  # noqa: F403
from tests.unit.application.test_my_subscriptions import *  # noqa: F403
from tests.unit.application.test_payment_failure import *  # noqa: F403
from tests.unit.application.test_quote import *  # noqa: F403
from tests.unit.application.test_redeem_promo_code import *  # noqa: F403
from tests.unit.application.test_refund_payment import *  # noqa: F403
from tests.unit.application.test_register_customer import *  # noqa: F403
from tests.unit.application.test_start_checkout import *  # noqa: F403
from tests.unit.application.test_telemetry import *  # noqa: F403
