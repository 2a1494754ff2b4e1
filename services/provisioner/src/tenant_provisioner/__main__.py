from tenant_provisioner.bootstrap import main

main()
