export interface Props {
  title: string
  count?: number
  tags: string[]
}
