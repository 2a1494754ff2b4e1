from tenant_notifier.bootstrap import main

main()
