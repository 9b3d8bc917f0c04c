;; The WebAssembly module embedded (base64) in crc32c.ts. Rebuild after a change with
;;   npx -p wabt wat2wasm src/encoding/crc32c.wat -o /tmp/crc32c.wasm && base64 -w0 /tmp/crc32c.wasm
;; Memory, imported (crc32c.ts gives each instance its own): 16 KiB of slicing tables at 0
;; (written by crc32c.ts), then the areas crc32c.ts places.
;;
;; crc(seed, p, n) -> register: slicing-by-16 over [p, p + n), Ceph's register convention.
;; reduce(s, p, n): the recurrence of the sparse-multiple method over n 16-byte blocks: the
;;   message blocks at s, the e values stored at p (p = s: in place); the 209 blocks before p
;;   hold the previous e values.
;; xorBlocks(d, s, n): n 16-byte blocks at d ^= those at s.
(module
  (import "env" "memory" (memory 1))
  (func (export "crc") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $last i32) (local $w i32) (local $x i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $blocksDone
      (br_if $blocksDone (i32.lt_u (local.get $n) (i32.const 16)))
      (local.set $last (i32.sub (local.get $end) (i32.const 16)))
      (loop $blocks
        (local.set $x (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.xor (i32.load offset=11264 (i32.shl (i32.load8_u offset=4 (local.get $p)) (i32.const 2))) (i32.load offset=10240 (i32.shl (i32.load8_u offset=5 (local.get $p)) (i32.const 2)))) (i32.load offset=9216 (i32.shl (i32.load8_u offset=6 (local.get $p)) (i32.const 2)))) (i32.load offset=8192 (i32.shl (i32.load8_u offset=7 (local.get $p)) (i32.const 2)))) (i32.load offset=7168 (i32.shl (i32.load8_u offset=8 (local.get $p)) (i32.const 2)))) (i32.load offset=6144 (i32.shl (i32.load8_u offset=9 (local.get $p)) (i32.const 2)))) (i32.load offset=5120 (i32.shl (i32.load8_u offset=10 (local.get $p)) (i32.const 2)))) (i32.load offset=4096 (i32.shl (i32.load8_u offset=11 (local.get $p)) (i32.const 2)))) (i32.load offset=3072 (i32.shl (i32.load8_u offset=12 (local.get $p)) (i32.const 2)))) (i32.load offset=2048 (i32.shl (i32.load8_u offset=13 (local.get $p)) (i32.const 2)))) (i32.load offset=1024 (i32.shl (i32.load8_u offset=14 (local.get $p)) (i32.const 2)))) (i32.load (i32.shl (i32.load8_u offset=15 (local.get $p)) (i32.const 2)))))
        (local.set $w (i32.xor (local.get $crc) (i32.load (local.get $p))))
        (local.set $crc (i32.xor (local.get $x) (i32.xor (i32.xor (i32.load offset=15360 (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 2))) (i32.load offset=14336 (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 1020)))) (i32.xor (i32.load offset=13312 (i32.and (i32.shr_u (local.get $w) (i32.const 14)) (i32.const 1020))) (i32.load offset=12288 (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 2)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $blocks (i32.le_u (local.get $p) (local.get $last)))))
    (block $tailDone
      (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
      (loop $tail
        (local.set $crc
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $crc) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $crc) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $tail (i32.lt_u (local.get $p) (local.get $end)))))
    (local.get $crc))
  (func (export "reduce") (param $s i32) (param $p i32) (param $n i32)
    (local $end i32) (local $q i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $blocks
        (local.set $q (i32.sub (local.get $p) (i32.const 3344)))
        ;; e[k] = m[k] ^ e[k-65] ^ e[k-155] ^ e[k-170] ^ e[k-195] ^ e[k-209]
        ;; ($q = the address of e[k-209]; e[k-d] is at $q + 16 * (209 - d))
        (v128.store (local.get $p)
          (v128.xor
            (v128.xor (v128.load (local.get $s))
                      (v128.xor (v128.load offset=2304 (local.get $q)) (v128.load offset=864 (local.get $q))))
            (v128.xor (v128.load offset=624 (local.get $q))
                      (v128.xor (v128.load offset=224 (local.get $q)) (v128.load (local.get $q))))))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $blocks (i32.lt_u (local.get $p) (local.get $end))))))
  (func (export "xorBlocks") (param $d i32) (param $s i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $blocks
        (v128.store (local.get $d) (v128.xor (v128.load (local.get $d)) (v128.load (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br_if $blocks (i32.lt_u (local.get $d) (local.get $end)))))))
