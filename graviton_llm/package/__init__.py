"""The component package: NeuronServingCluster, StateBackend and ReservedCapacity for every
Pulumi language (TypeScript, Go, C#, Java, YAML), from the same Python implementation.

Pulumi's component provider host (pulumi.provider.experimental) infers the package schema from
the thin components here, whose args are the generated TypedDicts of types.py
(scripts/generate_package_types.py) and which build our components unchanged. The folder
component-package/ is what `pulumi package add` takes; docs/multi-language.md shows a TypeScript
and a YAML program and what stays Python-only.
"""

from .provider import COMPONENTS, PACKAGE, PackageProvider, schema, serve

__all__ = ["COMPONENTS", "PACKAGE", "PackageProvider", "schema", "serve"]
