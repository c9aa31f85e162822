def test_demo_coordinator_signs_in_and_sees_start_page(login_as):
    client = login_as("coordinator")
    page = client.get("/").get_data(as_text=True)
    assert "Guten Tag, Karin Koordination" in page
    assert "Landkreis" in page
