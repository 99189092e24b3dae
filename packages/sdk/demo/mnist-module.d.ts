/** The `mnist` package ships no types: its default export is one object per digit 0-9. */
declare module 'mnist' {
  const digits: { id: number; raw: number[]; length: number }[];
  export default digits;
}
