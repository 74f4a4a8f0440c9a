"""The screens' routes: each reads a form, calls one use case, and renders or redirects."""
