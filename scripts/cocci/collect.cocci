// Pass 1 of the Coccinelle counterpart of stable-pages/mkwrite-without-wait (benchmark only), as
// issue 5 describes a good one: collect, across all files, (a) the functions bound to
// .page_mkwrite in vm_operations_struct initializers and (b) the functions that wait for
// writeback on something (block_page_mkwrite, iomap_page_mkwrite, f2fs/fuse helpers...).
// Pass 1b (collect-callers.cocci.in) then adds the callers of those waiters.
virtual report

@handler@
identifier v, fn;
@@
struct vm_operations_struct v = {
  .page_mkwrite = fn,
};

@script:python depends on handler@
fn << handler.fn;
@@
print("HANDLER %s" % fn)

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
