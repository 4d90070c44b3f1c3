from bench.broadcast.run import main

main()
