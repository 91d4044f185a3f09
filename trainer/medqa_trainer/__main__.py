from medqa_trainer.cli import main

raise SystemExit(main())
