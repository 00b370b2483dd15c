"""An ``on_event`` function on no bus with a custom type: what Eventarc cannot route on
Google Cloud without a channel (the deploy tests check that the GCP build says so)."""

from __future__ import annotations

from polyfn import App, Event

app = App("unbussed")


@app.on_event(source="partner.billing", type="InvoicePaid")
def invoice_paid(event: Event) -> None:
    print(event.data)
