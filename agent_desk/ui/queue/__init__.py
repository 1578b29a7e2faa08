"""The queue: ranked handoffs, the filters over them, how rows are painted, the pane that shows them."""
