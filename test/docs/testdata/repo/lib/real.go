package lib

func Real() {
}
