from arrears.core.spreadsheet import safe_cell


def test_a_formula_stays_text():
    assert safe_cell('=HYPERLINK("http://evil.example","x")') == '\'=HYPERLINK("http://evil.example","x")'
    assert safe_cell("+420 123") == "'+420 123"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-1+2") == "'-1+2"


def test_numbers_and_plain_text_are_left_alone():
    assert safe_cell("-12.50") == "-12.50"
    assert safe_cell("+3") == "+3"
    assert safe_cell("Praha") == "Praha"
    assert safe_cell(42) == 42
    assert safe_cell("") == ""
