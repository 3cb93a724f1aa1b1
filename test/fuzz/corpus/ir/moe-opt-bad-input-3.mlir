"moe.blok"() : () -> ()
