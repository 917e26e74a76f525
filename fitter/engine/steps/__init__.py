"""The steps of a render, one module each, in the order `engine.render` runs them.

`size.stage(job)` opens the source and gives the image the size stage asks for (through
`part` when it cannot shrink on load); then `flip`, `rotate`, `filters` and `finish`
each take the image so far and the Job, and give the image back unchanged when the plan
does not ask for them."""
