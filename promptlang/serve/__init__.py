"""`popsc serve`: the prompt gateway, an HTTP service over a program's generated SDK.

    source      where the program comes from: a project folder (checked and lowered) or
                a build's `bundle.json` (the IR read back), and the SDK loaded from it
    settings    what `--env` selects: secrets from the environment or Vault agent files,
                the `rollout` block
    gateway     the calls themselves, no HTTP: typed inputs in, typed outputs out,
                canary choice, metrics and the audit log
    openapi     the OpenAPI 3.1 document, generated from the IR
    app         the Starlette application: routes, JSON errors, request logs
    logs        ECS JSON logging (what an ELK stack ingests)
    server      uvicorn, with graceful shutdown

Starlette and uvicorn do the HTTP; this package only says what each endpoint means."""
