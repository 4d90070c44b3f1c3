from bench.memory.run import main

main()
