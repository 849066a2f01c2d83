"""The day-2 loop over kubectl: ``apply``, ``diff``, ``delete`` and ``status`` of one profile.

kubectl is the engine (server-side apply, ``kubectl diff``, ApplySet pruning, ``kubectl wait``);
these modules only decide what to hand it and in which order, and turn its answers into results.
They never print: each action returns a result object, and every kubectl command line goes to the
``log`` callback the CLI passes (``--verbose``).

Modules: :mod:`~kfgen.deploy.kubectl` (finding and running kubectl), :mod:`~kfgen.deploy.context`
(the profile's cluster pin), :mod:`~kfgen.deploy.plan` (rendered objects -> install phases, the
ApplySet), :mod:`~kfgen.deploy.apply`, :mod:`~kfgen.deploy.diff`, :mod:`~kfgen.deploy.delete`,
:mod:`~kfgen.deploy.status`.
"""
