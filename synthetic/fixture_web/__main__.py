from synthetic.fixture_web.server import main

main()
