module github.com/kconv/kconv/bindings/go/kconv

go 1.19
