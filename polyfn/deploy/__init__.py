"""Per-cloud deploy artifacts built from one App, checked offline before anyone deploys.

``polyfn deploy build APP --cloud aws|azure|gcp`` writes a SAM template and a code bundle,
an Azure Functions project with its ARM templates, or a Cloud Functions source folder with
its gcloud script; ``polyfn deploy preview`` prints what would be created. Every module here is
imported only by the deploy and plan commands, never by a runtime.

- ``model``: the cloud-neutral description of what gets deployed (functions, settings,
  resources, who may touch what), shared by every cloud.
- ``usage``: which resources each handler touches, read from its code.
- ``naming``: the physical name of every function and resource on each cloud.
- ``limits``: each cloud's documented limits, checked at build time (figures in
  ``limits_data``, rules in ``limits_rules``).
- ``aws_sam``, ``azure_project``, ``azure_arm``, ``gcp_source``, ``gcp_script``: the
  translations; ``yaml_text`` writes the SAM template.
- ``bundle``, ``source``, ``requirements``: the code that ships.
- ``builder``: runs a build for one cloud; ``preview``: what a build would create.
"""
