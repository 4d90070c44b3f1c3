from bench.activation.run import main

main()
