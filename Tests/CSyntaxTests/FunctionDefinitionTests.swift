import Testing
@testable import CSyntax

@Suite struct FunctionDefinitionTests {
    @Test func plainAndStaticInline() {
        let f = parse("""
        int add(int a, int b)
        {
        \treturn a + b;
        }
        static inline void nop(void) { }
        """)
        #expect(f.functionNames == ["add", "nop"])
        #expect(f.functions[0].line == 1 && f.functions[0].endLine == 4)
        #expect(f.functions[0].parameters.map(\.name) == ["a", "b"])
        #expect(f.functions[0].parameters.map(\.typeText) == ["int", "int"])
        #expect(f.functions[0].isStatic == false)
        #expect(f.functions[1].isStatic && f.functions[1].isInline)
        #expect(f.functions[1].parameters.isEmpty)
        #expect(f.recoveries.isEmpty)
    }
}

@Suite struct FunctionHeadTests {
    @Test func kernelAnnotationsAndAttributes() {
        let f = parse("""
        static __always_inline int __must_check fast(struct page *page) { return 0; }
        static noinline void __releases(lock) unlock_it(spinlock_t *lock) __acquires(other)
        {
        }
        static __printf(2, 3) void logf(int level, const char *fmt, ...) { }
        long copy(void __user *to, const void *from, unsigned long n) { return 0; }
        int __init __attribute__((cold)) setup_thing(char *s) { return 1; }
        static struct page *
        lookup_page(struct address_space *mapping,
        \t    pgoff_t index)
        {
        \treturn NULL;
        }
        """)
        #expect(f.functionNames == ["fast", "unlock_it", "logf", "copy", "setup_thing", "lookup_page"])
        #expect(f.functions[0].isInline && f.functions[0].isStatic)
        #expect(f.functions[0].returnTypeText == "int __must_check")
        #expect(f.functions[0].parameters == [Parameter(name: "page", typeText: "struct page *")])
        #expect(f.functions[2].parameters.map(\.name) == ["level", "fmt", ""])
        #expect(f.functions[3].parameters[0] == Parameter(name: "to", typeText: "void __user *"))
        #expect(f.functions[5].line == 9 && f.functions[5].endLine == 13)
        #expect(f.functions[5].returnTypeText == "struct page *")
        #expect(f.recoveries.isEmpty)
    }

    @Test func macroHeadsAreDefinitions() {
        let f = parse("""
        SYSCALL_DEFINE3(read, unsigned int, fd, char __user *, buf, size_t, count)
        {
        \treturn ksys_read(fd, buf, count);
        }
        """)
        #expect(f.functionNames == ["SYSCALL_DEFINE3"])
        #expect(f.functions[0].isMacroHead)
        #expect(f.bodyKinds("SYSCALL_DEFINE3") == [.returnStatement])
    }

    @Test func functionPointerParametersAndReturns() {
        let f = parse("""
        static int walk(struct inode *inode, int (*cb)(void *data, int n), void *data) { return cb(data, 1); }
        static void (*pick(int which))(int) { return NULL; }
        """)
        #expect(f.functionNames == ["walk", "pick"])
        #expect(f.functions[0].parameters.map(\.name) == ["inode", "cb", "data"])
        #expect(f.functions[1].parameters.map(\.name) == ["which"])
    }

    @Test func notDefinitions() {
        let f = parse("""
        struct foo { int (*fn)(int); };
        extern int proto(int a);
        typedef int (*handler_t)(int);
        static DEFINE_SPINLOCK(lock);
        EXPORT_SYMBOL(proto);
        enum { A, B };
        static int table[] = { 1, 2 };
        int real(void) { return A; }
        """)
        #expect(f.functionNames == ["real"])
    }

    @Test func macroWithoutSemicolonBeforeFunction() {
        let f = parse("""
        module_init(init_fs)
        module_exit(exit_fs)

        static int probe(void) {
        \treturn 0;
        }
        """)
        #expect(f.functionNames == ["probe"])
        #expect(f.functions[0].line == 4)
    }

    @Test func alternativeHeadsUnderIfdefNameTheFirstLine() {
        let f = parse("""
        #ifdef CONFIG_OLD
        static int set_args(int mode, long timeout)
        #else
        static int set_args(int mode)
        #endif
        {
        \treturn mode;
        }
        """)
        #expect(f.functions.map(\.line) == [2])
        #expect(f.functions[0].parameters.map(\.name) == ["mode", "timeout"])
    }

    @Test func badFunctionDoesNotLoseTheRest() {
        let f = parse("""
        static int broken(void)
        {
        \tif (x {
        \t\t@@@ ))) ;
        \t}
        \tfoo(;
        }

        static int fine(void)
        {
        \treturn 1;
        }
        """)
        #expect(f.functionNames == ["broken", "fine"])
        #expect(!f.recoveries.isEmpty)
        #expect(f.bodyKinds("fine") == [.returnStatement])
    }

    @Test func unbalancedBodyIsCutAtColumnZero() {
        let f = parse("""
        static int open_brace(int x)
        {
        \tif (x) {
        \t\tx++;
        \treturn x;
        }

        static int next(void)
        {
        \treturn 0;
        }
        """)
        #expect(f.functionNames == ["open_brace", "next"])
        #expect(f.recoveries.contains { $0.kind == .functionBodyCutShort })
        #expect(f.functions[1].line == 8)
    }
}
