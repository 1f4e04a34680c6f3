from workers.fixture_web.server import main

main()
