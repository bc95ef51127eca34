"""Documents rendered from a case: CIOMS I and DIGEMID forms, the causality report, and the
lifecycle dossier an inspector reads (PDF and HTML).

``dossier_data.gather`` reads everything from the store once into a plain record; the
renderers are pure functions of that record, so every document shows the same facts.
"""
