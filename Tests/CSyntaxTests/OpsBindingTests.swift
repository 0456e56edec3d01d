import Testing
@testable import CSyntax

@Suite struct OpsBindingTests {
    @Test func designatedInitializers() {
        let f = parse("""
        static const struct vm_operations_struct xfs_file_vm_ops = {
        \t.fault\t\t= xfs_filemap_fault,
        \t.map_pages\t= xfs_filemap_map_pages,
        \t.page_mkwrite\t= xfs_filemap_page_mkwrite,
        \t.name = "x",
        \t.owner = THIS_MODULE,
        \t.close = NULL,
        };
        """, path: "fs/xfs/xfs_file.c")
        #expect(f.opsBindings.map { "\($0.line) \($0.structType ?? "-") \($0.variable).\($0.slot)=\($0.function)" } == [
            "2 vm_operations_struct xfs_file_vm_ops.fault=xfs_filemap_fault",
            "3 vm_operations_struct xfs_file_vm_ops.map_pages=xfs_filemap_map_pages",
            "4 vm_operations_struct xfs_file_vm_ops.page_mkwrite=xfs_filemap_page_mkwrite",
        ])
        #expect(f.opsBindings.allSatisfy { $0.file == "fs/xfs/xfs_file.c" && $0.kind == .designatedInitializer })
    }

    @Test func conditionalSlotsNestedAndArrays() {
        let f = parse("""
        const struct address_space_operations ext4_aops = {
        \t.read_folio = ext4_read_folio,
        #ifdef CONFIG_MIGRATION
        \t.migrate_folio = buffer_migrate_folio,
        #else
        \t.migrate_folio = NULL,
        #endif
        \t.writepages = (void *)ext4_writepages,
        };
        static struct ctl_table tables[] = {
        \t{ .procname = "a", .proc_handler = proc_a },
        \t{ .procname = "b", .proc_handler = proc_b },
        };
        static struct outer o = { .inner = { .fn = inner_fn }, .cb.fn = dotted };
        """)
        #expect(f.opsBindings.map { "\($0.variable).\($0.slot)=\($0.function)" } == [
            "ext4_aops.read_folio=ext4_read_folio",
            "ext4_aops.migrate_folio=buffer_migrate_folio",
            "ext4_aops.writepages=ext4_writepages",
            "tables.proc_handler=proc_a",
            "tables.proc_handler=proc_b",
            "o.inner.fn=inner_fn",
            "o.cb.fn=dotted",
        ])
    }

    @Test func bindingsInsideFunctions() {
        let f = parse("""
        static int my_mmap(struct file *file, struct vm_area_struct *vma, struct vm_operations_struct *ops)
        {
        \tstruct my_ops *local = get();
        \tstatic const struct vm_operations_struct inner_ops = { .fault = inner_fault };
        \tfile_accessed(file);
        \tvma->vm_ops = &my_vm_ops;
        \tops->page_mkwrite = my_page_mkwrite;
        \tx.page_mkwrite = other_mkwrite;
        \tvma->vm_private_data = local;
        \tvma->vm_flags = VM_DONTEXPAND;
        \treturn 0;
        }
        """)
        #expect(f.opsInstalls.map { "\($0.line) \($0.function) \($0.target) \($0.slot) \($0.variable)" }
            == ["6 my_mmap vma->vm_ops vm_ops my_vm_ops"])
        #expect(f.opsBindings.map { "\($0.line) \($0.kind.rawValue) \($0.structType ?? "-") \($0.variable).\($0.slot)=\($0.function) in \($0.inFunction ?? "-")" } == [
            "4 designatedInitializer vm_operations_struct inner_ops.fault=inner_fault in my_mmap",
            "7 assignment vm_operations_struct ops.page_mkwrite=my_page_mkwrite in my_mmap",
            "8 assignment - x.page_mkwrite=other_mkwrite in my_mmap",
        ])
    }
}

@Suite struct PrefilterTests {
    @Test func wholeIdentifiersOnly() {
        let bytes = Array("int page_mkwrite_helper(void); /* vm_ops */ x->fault = f;".utf8)
        #expect(TokenPrefilter.mentionsAny(bytes, of: ["fault"]))
        #expect(TokenPrefilter.mentionsAny(bytes, of: ["vm_ops"]))
        #expect(!TokenPrefilter.mentionsAny(bytes, of: ["page_mkwrite"]))
        #expect(!TokenPrefilter.mentionsAny(bytes, of: ["mkwrite"]))
        #expect(TokenPrefilter.identifiers(in: bytes) == ["page_mkwrite_helper", "x", "fault", "f"])
    }

    /// The block search (32 positions at a time) and the byte-by-byte tail agree with a plain
    /// reading at every offset, near both ends of a block, and at identifier boundaries.
    @Test func blockSearchAgreesWithAPlainReadingAtEveryOffset() {
        let needles = ["page_mkwrite", "vm_ops", ".mmap", "i_fop"]
        func plain(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
            func ident(_ b: UInt8) -> Bool { b == 0x5F || b == 0x24 || b >= 0x80 || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || (b >= 0x30 && b <= 0x39) }
            guard bytes.count >= needle.count else { return false }
            for at in 0...(bytes.count - needle.count) where Array(bytes[at..<at + needle.count]) == needle {
                if ident(needle[0]) && at > 0 && ident(bytes[at - 1]) { continue }
                if ident(needle.last!) && at + needle.count < bytes.count && ident(bytes[at + needle.count]) { continue }
                return true
            }
            return false
        }
        let fillers: [UInt8] = [0x09, 0x78, 0x2E, 0x5F, 0x20]  // tab, x, '.', '_', space
        for needle in needles {
            for filler in fillers {
                for offset in [0, 1, 20, 31, 32, 33, 63, 64, 95, 100] {
                    for length in [offset + needle.utf8.count, offset + needle.utf8.count + 1, 140] where length >= offset + needle.utf8.count {
                        var text = Array(repeating: filler, count: length)
                        text.replaceSubrange(offset..<offset + needle.utf8.count, with: Array(needle.utf8))
                        #expect(TokenPrefilter.mentionsAny(text, of: needles) == needles.contains { plain(text, Array($0.utf8)) },
                                "\(needle) at \(offset) of \(length) in \(filler)")
                    }
                }
            }
        }
        // Near misses in a long text: first, second and last bytes right, the middle wrong.
        let near = Array((String(repeating: "page_mkwrote vm_opz i_foo ", count: 20) + "\tops.mmap = f;").utf8)
        #expect(TokenPrefilter.mentionsAny(near, of: needles))
        #expect(!TokenPrefilter.mentionsAny(Array(near.dropLast(14)), of: needles))
    }
}
