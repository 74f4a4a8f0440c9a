"""What of the driver the partner is sent, and what anonymising leaves."""

from borderflow.domain import personal_data
from tests.support.declarations import declaration


def test_the_partner_gets_the_drivers_identity_but_not_the_phone():
    sent = personal_data.for_partner(declaration())
    assert sent["driver"] == {"name": "Nguyen Van An", "document_no": "C1234567", "nationality": "VN"}
    assert sent["vehicle"] == declaration()["vehicle"] | {"plate": sent["vehicle"]["plate"]}


def test_anonymising_nulls_the_personal_fields_keeps_the_rest_and_is_idempotent():
    original = declaration()
    once = personal_data.anonymised(original)
    assert once["driver"] == {"name": None, "document_no": None, "nationality": "VN", "phone": None}
    assert once["goods"] == original["goods"] and original["driver"]["name"] == "Nguyen Van An"
    assert personal_data.anonymised(once) == once
    assert personal_data.personal_paths(original) == ["declaration.driver.name", "declaration.driver.document_no",
                                                      "declaration.driver.phone"]
    assert personal_data.is_anonymised(once) and not personal_data.is_anonymised(original)
