// Pass 1 of the Coccinelle counterpart of stable-pages/mkwrite-without-wait (benchmark only):
// print every function that calls a writeback wait on one of its parameters' pages, so pass 2
// can treat calls to it as waits (block_page_mkwrite, iomap_page_mkwrite, f2fs/fuse helpers...).
virtual report

@w@
identifier f;
expression E;
@@
f(...) {
<+...
(
wait_on_page_writeback(E)
|
wait_for_stable_page(E)
|
folio_wait_stable(E)
|
folio_wait_writeback(E)
)
...+>
}

@script:python depends on w@
f << w.f;
@@
print("WAITER %s" % f)
