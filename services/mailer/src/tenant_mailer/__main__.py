from tenant_mailer.bootstrap import main

main()
